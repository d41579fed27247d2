export interface Category {
  id: number;
  name: string;
  slug: string;
}

export interface Product {
  id: number;
  sku: string;
  name: string;
  price: string;
  stock: number;
  supplier_code: string;
  category: Category | null;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface Review {
  id: number;
  rating: number;
  body: string;
}

export interface ProductWithReviews extends Product {
  reviews: Review[];
}

export interface CartItem {
  id: number;
  quantity: number;
  line_total: string;
  product: Product;
}

export interface Cart {
  id: number;
  items: CartItem[];
  total: string;
}

export interface Order {
  id: number;
  status?: string;
  total?: string;
}
